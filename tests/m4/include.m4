dnl include, sinclude, __file__ and __line__ across files.
__file__:__line__
include(`include-inc.m4')dnl
back in __file__:__line__
sinclude(`no-such-file.m4')dnl
include(`no-such-file.m4')dnl
include(`divert-inc.txt')dnl
still here __line__
include()dnl
