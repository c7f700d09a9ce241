"""The engine thread and the frame mailbox it fills."""
