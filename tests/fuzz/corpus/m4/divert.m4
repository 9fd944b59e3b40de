dnl Diversions: numbers, negative, undivert order and files.
divnum
divert(3)three divnum
divert(1)one
divert(-1)discarded divnum
divert(2)two
divert(10)ten
divert(0)dnl
zero
undivert(2)dnl
undivert(2)dnl
back in divnum
divert(1)more one
divert`'dnl
undivert(`divert-inc.txt')dnl
divert(2)undivert(`divert-inc.txt')divert
divert(5)five
undivert(3)dnl
divert(0)dnl
undivert(0)undivert(-1)undivert(99)dnl
end
