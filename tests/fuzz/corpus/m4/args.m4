dnl Argument collection and $ references.
define(`show', ``$0': $# [$*] [$@] [$1] [$2] [$10]')dnl
show
show()
show( a , b )
show(  leading
	newline and tab, (nested, parens), `quoted, comma')
show(a,b,c,d,e,f,g,h,i,j,k)
define(`cnt', `$#')cnt cnt() cnt(,) cnt((,),`,')
define(`dollar', `$ $$ $x $')dollar
define(`two', `$1$2$1')two(`a', `b')
define(`rec', `ifelse(`$1', `', `', `[$1]rec(shift($@))')')rec(a, b, c)
define(`rev', `ifelse(`$#', `0', , `$#', `1', `$1', `rev(shift($@)),$1')')dnl
rev(1,2,3,4)
define(`star', `$*')star(`a,b', c)
define(`at', `$@')at(`a,b', c)
define(`x', `X')star(`x') at(`x')
define(`empty')empty()empty(a)`'empty
pushdef(`s', 1)pushdef(`s', 2)pushdef(`s', 3)s popdef(`s')s popdef(`s')s popdef(`s')s
define(`d', `one')pushdef(`d', `two')define(`d', `three')d popdef(`d')d
undefine(`d')d
define(`a', `b')define(`bc', `BC')a()c
