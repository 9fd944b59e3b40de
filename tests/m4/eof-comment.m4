define(`x', `X')x
changecom(`/*', `*/')/* this comment
never ends x
