"""Intake: tickets born outside the desk — monitoring alerts (and, later, email and L1 tools)."""
