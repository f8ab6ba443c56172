"""One lock for all state this extension owns or mutates inside moto.

moto's server is multi-threaded and its models are plain Python objects. Every patched operation
that reads or changes rollout state or target registrations holds this lock, so a DescribeServices
that advances a rollout never interleaves with a DescribeTargetHealth reading the same target group.
The operations are in-memory and take microseconds; one re-entrant lock keeps the reasoning simple.
"""

import threading

EXTENSION_LOCK = threading.RLock()
