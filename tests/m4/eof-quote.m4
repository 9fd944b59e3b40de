define(`x', `X')x
`this quote never ends
x
