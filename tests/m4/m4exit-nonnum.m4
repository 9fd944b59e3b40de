m4exit(`x')
