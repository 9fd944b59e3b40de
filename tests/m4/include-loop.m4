include(`include-loop.m4')
