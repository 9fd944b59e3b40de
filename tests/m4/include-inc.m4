in __file__:__line__
line two __line__
define(`fromin', `__file__')fromin
