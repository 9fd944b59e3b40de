dnl m4args: -L 30
define(`deep', `deep(deep($1))')deep(1)
