"""callintake's SIMULATOR of the OpenAI Realtime API, for local runs and tests; it is not OpenAI.

`simulator.webrtc` is its real WebRTC peer (aiortc): what a browser's SDP offer is answered with.
"""
