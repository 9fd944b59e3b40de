dnl defn of builtins, indir, builtin, ifdef, ifelse.
define(`mydef', defn(`define'))mydef(`x', `X')x
define(`mylen', defn(`len'))mylen(`abcd') mylen
defn(`x') defn(`x', `x') defn(`nosuch')
defn(`len', `x')
define(`l2', defn(`len')`tail')l2(`abc')
define(`l3', `head'defn(`len'))l3
indir(`x') indir(`len', `abc') indir(`nosuch') indir(`define', `y', `Y')y
builtin(`len', `ab') builtin(`nosuch') builtin(`define', `z', `Z')z
ifdef(`x', `yes', `no') ifdef(`nosuch', `yes', `no') ifdef(`nosuch', `yes')
ifelse(`a', `a', `eq', `ne') ifelse(`a', `b', `eq', `ne') ifelse(`a', `b', `eq')
ifelse(`a', `b', `1', `c', `c', `2', `3') ifelse(`a', `b', `1', `c', `d', `2')
ifelse(`x') ifelse(`a', `b') ifelse(1,1,2,3,4)
define(`len', `redefined')len(`x') undefine(`len')len(`x')
define(`d', `$1')d(defn(`define'))
pushdef(`define', `nope')define(`q', `Q')q popdef(`define')define(`q', `Q')q
dumpdef(`x', `mylen', `nosuch')dumpdef(`q')
traceon(`x')x traceoff(`x')x
__gnu__ __unix__ unix
ifdef(`__gnu__', `gnu')
shift shift() shift(a) shift(a, b, `c, d')
