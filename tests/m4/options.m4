dnl m4args: -DX=1 -DY -Ulen -Dlen=L -I. -Q
X Y len(`abc') index(`a')
include(`include-inc.m4')dnl
