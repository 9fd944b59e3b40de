debugmode(`+t')len(x)debugmode(`-t')len(x)
