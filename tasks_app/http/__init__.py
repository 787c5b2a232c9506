"""HTTP plumbing around the views: the Content-Security-Policy, forwarded headers, the refusal of an
oversized bulk body and the 503 when the database does not answer."""
