# One bad file among clean ones still fails with 1.
args: check {examples}/gradient.weft programs/undefined.weft
exit: 1
stderr-has: error[E0301]
