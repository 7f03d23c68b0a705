"""Instructor-run classes: join codes, a sandbox workspace per student, a live board,
a class clock, incident drills and results."""
