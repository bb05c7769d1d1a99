// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title VesTestToken — TEST TOKEN, NO VALUE
/// @notice A minimal ERC-20 for tests of x402 settlement (VesPaymentBatch) on a local chain.
///         FOR TESTS ONLY: the owner can mint any amount to anyone at any time. Never deploy it
///         where its balances could be mistaken for money.
/// @dev 6 decimals (like USDC). transfer, approve, transferFrom, balanceOf, allowance,
///      totalSupply, Transfer/Approval events; an allowance of type(uint256).max is not
///      decreased by transferFrom. Failures revert with a reason ("Insufficient balance",
///      "Insufficient allowance", "Zero address", "Not owner") instead of returning false.
contract VesTestToken {
    string public constant name = "VES Test USD (TEST ONLY)";
    string public constant symbol = "vtUSD";
    uint8 public constant decimals = 6;

    uint256 public totalSupply;
    address public owner;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor() {
        owner = msg.sender;
    }

    /// @notice TEST ONLY: creates `amount` tokens for `to`.
    function mint(address to, uint256 amount) external {
        require(msg.sender == owner, "Not owner");
        require(to != address(0), "Zero address");
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        require(spender != address(0), "Zero address");
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            require(allowed >= amount, "Insufficient allowance");
            allowance[from][msg.sender] = allowed - amount;
        }
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) private {
        require(to != address(0), "Zero address");
        uint256 have = balanceOf[from];
        require(have >= amount, "Insufficient balance");
        balanceOf[from] = have - amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }
}
