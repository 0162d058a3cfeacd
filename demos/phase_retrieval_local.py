"""Run the phase_retrieval_local demo (see cstoolbox/demos/phase_retrieval_local.py)."""
from cstoolbox.demos.phase_retrieval_local import main

main()
