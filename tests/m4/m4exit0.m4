divert(1)kept?
divert`'m4exit
