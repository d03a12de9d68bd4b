import torch

from lrlab.model import CNN, StackedCNN, seeded_cnn


def test_cnn_has_the_seeds_architecture():
    model = CNN()
    assert sum(p.numel() for p in model.parameters()) == 206_922
    assert model(torch.zeros(5, 1, 28, 28)).shape == (5, 10)


def test_seeded_cnn_is_reproducible_and_leaves_global_rng_alone():
    state = torch.random.get_rng_state()
    a, b, c = seeded_cnn(0), seeded_cnn(0), seeded_cnn(1)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.fc1.weight, c.fc1.weight)


def test_stack_computes_each_models_own_output_and_gradient():
    models = [seeded_cnn(seed) for seed in range(3)]
    x = torch.rand(8, 1, 28, 28)
    stacked = StackedCNN(models)(x)
    assert stacked.shape == (3, 8, 10)
    for k, model in enumerate(models):
        torch.testing.assert_close(stacked[k], model(x), rtol=1e-5, atol=1e-5)
    stacked[1].sum().backward()
    assert models[0].fc1.weight.grad is None or models[0].fc1.weight.grad.abs().sum() == 0
    assert models[1].conv1.weight.grad.abs().sum() > 0


def test_each_models_own_optimizer_steps_the_stack_and_only_its_own_slice():
    """The models' parameters and gradients are views of the stacked tensors: torch.optim on a model moves the stack."""
    models = [seeded_cnn(seed) for seed in range(3)]
    stack, x = StackedCNN(models), torch.rand(8, 1, 28, 28)
    before = stack(x).detach()
    stack.zero_grad()
    stack(x)[1].square().sum().backward()
    torch.optim.SGD(models[1].parameters(), lr=0.1).step()
    after = stack(x).detach()
    torch.testing.assert_close(after[[0, 2]], before[[0, 2]], rtol=0, atol=0)
    assert not torch.allclose(after[1], before[1])
    torch.testing.assert_close(after[1], models[1](x).detach(), rtol=1e-5, atol=1e-5)
    stack.zero_grad()
    assert all(p.grad.abs().sum() == 0 for p in models[1].parameters())
