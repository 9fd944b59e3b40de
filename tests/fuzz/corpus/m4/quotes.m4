dnl Quoting: nesting, multi-character quotes, disabling, one argument.
define(`q', `a`b`c'd'e')q
`nested `quotes' here' and `'empty`'
define(`x', `X')``x'' `x' x
changequote([,])dnl
[x] [[x]] `x' define([y], [Y $1])y(1) [y]
changequote(<<, >>)dnl
<<x>> <<<<x>>>> y(<<a,b>>) <<unbalanced << inside>>>>
changequote(`[[[', `]]]')dnl
[[[x]]] [[x]] [[[a [[[b]]] c]]]
changequote([)dnl
[x' `x'
changequote()dnl
`x' [x' x
changequote
`x' x
changequote(`', `')dnl
`x'
changequote`'dnl
define(`lq', `changequote(<,>)')lq<x> `x'
changequote(`,')dnl
changequote(",")dnl
"x" "nested "not" really"
changequote`'dnl
len(`')len(`a''`b')
