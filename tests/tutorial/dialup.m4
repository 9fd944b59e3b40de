divert(-1)dnl
# /etc/mail/m4/dialup.m4 as sendmailconfig leaves it on a LAN host:
# nothing to override.
divert(0)dnl
