dnl m4args: -G
define(`x', `$10 $1')x(a,b,c,d,e,f,g,h,i,j) unix __gnu__ __file__
len(`abc') format(`%d', 1) patsubst(`a', `a', `b')
