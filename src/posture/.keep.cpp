// posture module
