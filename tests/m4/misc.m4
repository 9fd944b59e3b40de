m4wrap(`__file__:__line__ len(1,2)
')dnl
define(`x', defn(`len', `len'))x
define(`y', defn(`divnum'))y
pushdef(`z', defn(`eval'))z(`1+1') popdef(`z')z
traceon(`nosuch')define(`nosuch', `N')nosuch
dumpdef(`nosuch')
undefine(`nosuch')traceoff(`nosuch')
define(`a', `1')define(`b', `2')dumpdef
ifelse(`$1', `$1', `dollar')
define(`lp', `(')define(`rp', `)')len lp abc rp
define(`comma', `,')ifelse(a comma a, b)
define(`f', `$1|$2')f(a lp b comma c rp, d)
f(`(', `)')
f((`('), x)
index(`abc', `c')index(abc,c)
errprint(`err
')errprint(`a', `b', `c')errprint()
divert(-5)gone divnum
divert(2147483647)big
divert(`')empty
undivert(2147483647)
debugmode(`z')debugmode(`+t')len(x)debugmode(`-t')len(x)debugmode
__line__ __line__
`__line__'
