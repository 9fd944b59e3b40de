dnl traceon() marks the macros defined now; -dt covers later ones too.
define(`a', `b'traceon)a len(`x y')
define(`later', `L')later
traceoff`'len(`x')
traceon(`undef')define(`undef', `U')undef undefine(`undef')define(`undef', `V')undef
debugmode(`t')later debugmode(`3')debugmode`'later
