dnl m4wrap order, nesting, arguments.
m4wrap(`first
')m4wrap(`second
')m4wrap(`third', `with', `args
')dnl
define(`w', `m4wrap(`nested $1
')')dnl
m4wrap(`w(1)w(2)')dnl
divert(1)diverted before wrap
divert`'dnl
text __line__
