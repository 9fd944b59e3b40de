dnl m4exit drops diversions and m4wrap text.
m4wrap(`wrapped')divert(1)diverted
divert(0)before
m4exit(7)after
