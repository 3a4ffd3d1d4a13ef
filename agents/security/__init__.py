"""What keeps users' data safe: request guards in front of Chainlit, login tokens that can be
revoked, escaping of user text quoted back in Markdown, bounded reading of untrusted files,
private file permissions and URLs shown without their credentials."""
