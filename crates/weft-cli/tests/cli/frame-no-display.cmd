# A program without `display` cannot be rendered to a picture: E0506.
args: frame {examples}/tone.weft -o {tmp}/out.png
exit: 1
stderr-has: error[E0506]
absent: out.png
