"""Lab progress models arrive with the labs issue."""
