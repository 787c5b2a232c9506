"""The brokers (helloworld/brokers.py, transports.py, tasks_app/broker/): queues, their order, JSON only."""
