"""The interview engine: rubric and scenarios as data, interviewer, judges and the model seam."""
