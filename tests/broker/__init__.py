"""The brokers (helloworld/brokers.py, helloworld/transports/, tasks_app/broker/): queues, their order, JSON only."""
