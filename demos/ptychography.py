"""Run the ptychography demo (see cstoolbox/demos/ptychography.py)."""
from cstoolbox.demos.ptychography import main

main()
