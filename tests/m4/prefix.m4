dnl m4args: -P
m4_define(`x', `X')x define(`y') m4_len(`abc') __gnu__ m4___file__ m4___line__
m4_dnl comment
