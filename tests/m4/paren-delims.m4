changecom(`(', `)')define(`f', `[$1]')f(x)f (y)
changecom`'changequote(`(', `)')f(x)f((q))
