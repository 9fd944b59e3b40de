dnl Tail recursion runs long without growing.
define(`loop', `ifelse(`$1', `0', `done', `loop(decr($1))')')loop(20000)
define(`cat', `ifelse(`$1', `0', `', `x`'cat(decr($1))')')len(cat(300))
