define(`f', `[$1]')f(a,
b, `c'
