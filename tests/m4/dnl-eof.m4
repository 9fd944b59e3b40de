dnl at the end of a file without a newline
text before dnl the rest
define(`x', `X')x dnl
last line dnl no newline here