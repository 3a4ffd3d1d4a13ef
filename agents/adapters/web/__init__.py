"""Pieces of the browser front end that know Chainlit: request guards, login, chat history."""
