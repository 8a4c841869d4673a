"""A versioned site: versions, git plumbing, object stores, and the merge of one version."""
