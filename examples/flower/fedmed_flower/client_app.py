"""A placeholder ClientApp: Flower's app format requires one, but this app's clients are
`fedmed node` SuperNodes, which answer `train` and `evaluate` themselves and never run it.
A Python `flower-supernode` that joins by mistake replies with this error instead of training."""

from flwr.app import Context, Message
from flwr.clientapp import ClientApp

app = ClientApp()


@app.train()
@app.evaluate()
def refuse(msg: Message, context: Context) -> Message:
    raise RuntimeError("this federation's clients are fedmed hospitals: run `fedmed node`, not flower-supernode")
