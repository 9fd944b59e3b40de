dnl syscmd, esyscmd, sysval.
syscmd(`echo from syscmd')sysval
syscmd(`exit 3')sysval
esyscmd(`printf "esys %s" out')sysval
define(`x', `X')esyscmd(`echo x')
esyscmd(`exit 5')sysval
syscmd(`')sysval
syscmd(`echo to stderr >&2')
