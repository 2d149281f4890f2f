"""Level-change requests, sign-offs, comments, waivers and the review state machine."""
