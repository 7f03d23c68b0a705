"""kmsconsole: a teaching platform for AWS Key Management Service."""
