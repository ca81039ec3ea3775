"""Source contracts and table definitions shipped with gluestar (JSON data files)."""
