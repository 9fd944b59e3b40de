dnl m4args: -t len -t foo -dV
define(`foo', `len($1)')foo(`abc')
traceon(`eval')eval(1+2, 16)traceoff(`eval')eval(3)
define(`long', `0123456789')long
