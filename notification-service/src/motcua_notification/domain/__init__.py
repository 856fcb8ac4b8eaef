"""What the notification-service knows without any I/O: who is told what, in which words, how an SMS
is counted, when a message may go out, and how webhooks are signed."""
