dnl Comments: verbatim, inside arguments, multi-character, disabled.
define(`x', `X')dnl
# x is not expanded here, `nor quotes
x # x
define(`f', `[$1]')f(a # comment, with comma ) and paren
b)
f(`quoted # not a comment')
changecom(`/*', `*/')dnl
/* x
   spans lines */ x # x
f(/* a, b */ c)
changecom(`//')dnl
// x to the end of line
x
changecom dnl
# x
changecom(`#')dnl
# x
changecom()dnl
# x
changecom(`', `x')dnl
# x
changecom(`x', `')dnl
x is a comment start now
changecom(`#', `#')dnl
# x # x # x
changecom`'dnl
`#' x
