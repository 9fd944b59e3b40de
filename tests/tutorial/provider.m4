divert(-1)dnl
# /etc/mail/m4/provider.m4 as sendmailconfig leaves it: no provider
# (smart host) settings.
divert(0)dnl
