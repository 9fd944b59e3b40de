include(`nothere')m4exit
